import { useState, type FormEvent } from 'react';
import { PRODUCT_TYPES, type Product, type ProductType } from '@vitrine/shared';
import type { DeleteOutcome } from '../../common/bridge.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ModelUpload } from '../components/model-upload.js';
import { ProblemView } from '../components/problem-view.js';
import { call, useAction, vitrine } from '../lib/bridge.js';
import { COMMON_CURRENCIES } from '../lib/price.js';
import {
  emptyForm,
  formFromProduct,
  slugify,
  toCreatePayload,
  toUpdatePayload,
  type FieldErrors,
  type ProductFormState,
} from '../lib/product-form.js';

interface ProductEditorProps {
  product: Product | null;
  defaultCurrency: string;
  onSaved: (product: Product) => void;
  onDeleted: (id: string, outcome: DeleteOutcome['outcome']) => void;
}

/** Creates or edits one product; for digital and hybrid ones, uploads and shows the model. */
export function ProductEditor({
  product,
  defaultCurrency,
  onSaved,
  onDeleted,
}: ProductEditorProps) {
  const [form, setForm] = useState<ProductFormState>(() =>
    product ? formFromProduct(product) : emptyForm(defaultCurrency),
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [slugTouched, setSlugTouched] = useState(Boolean(product));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [savedNote, setSavedNote] = useState<string | null>(null);

  const set = <K extends keyof ProductFormState>(key: K, value: ProductFormState[K]) => {
    setForm((current) => {
      const next = { ...current, [key]: value };
      if (key === 'name' && !slugTouched) next.slug = slugify(String(value));
      return next;
    });
    setSavedNote(null);
  };

  const save = useAction(product ? 'Saving the product' : 'Creating the product', async () => {
    if (product) {
      const patch = toUpdatePayload(form, product);
      if (!patch.ok) return setErrors(patch.errors);
      setErrors({});
      if (Object.keys(patch.value).length === 0) return setSavedNote('Nothing to save.');
      const updated = await call(vitrine().productsUpdate(product.id, patch.value));
      setSavedNote('Saved.');
      onSaved(updated);
    } else {
      const body = toCreatePayload(form);
      if (!body.ok) return setErrors(body.errors);
      setErrors({});
      const created = await call(vitrine().productsCreate(body.value));
      onSaved(created);
    }
  });

  const remove = useAction('Deleting the product', async () => {
    if (!product) return;
    const { outcome } = await call(vitrine().productsDelete(product.id));
    setConfirmDelete(false);
    onDeleted(product.id, outcome);
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };

  const physical = form.type !== 'digital';
  const field = (key: keyof ProductFormState) =>
    errors[key] ? (
      <span className="field-error" role="alert">
        {errors[key]}
      </span>
    ) : null;

  return (
    <div className="editor">
      <h1>{product ? product.name : 'New product'}</h1>
      {product && (
        <p className="muted">
          <code>{product.id}</code> · {product.active ? 'active' : 'inactive'}
        </p>
      )}
      <form className="form" onSubmit={submit} aria-label="Product" noValidate>
        <label>
          Name
          <input name="name" value={form.name} onChange={(e) => set('name', e.target.value)} />
          {field('name')}
        </label>
        <label>
          Slug
          <input
            name="slug"
            value={form.slug}
            onChange={(e) => {
              setSlugTouched(true);
              set('slug', e.target.value);
            }}
            placeholder="made from the name"
          />
          {field('slug')}
        </label>
        <label>
          Description
          <textarea
            name="description"
            rows={4}
            value={form.description}
            onChange={(e) => set('description', e.target.value)}
          />
        </label>
        <div className="row">
          <label>
            Type
            <select
              name="type"
              value={form.type}
              onChange={(e) => set('type', e.target.value as ProductType)}
            >
              {PRODUCT_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </select>
          </label>
          <label>
            Price
            <input
              name="price"
              inputMode="decimal"
              value={form.price}
              onChange={(e) => set('price', e.target.value)}
              placeholder="12.50"
            />
            {field('price')}
          </label>
          <label>
            Currency
            <input
              name="currency"
              list="currencies"
              value={form.currency}
              onChange={(e) => set('currency', e.target.value.toLowerCase())}
              maxLength={3}
            />
            <datalist id="currencies">
              {COMMON_CURRENCIES.map((code) => (
                <option key={code} value={code} />
              ))}
            </datalist>
          </label>
          <label className="check">
            <input
              name="active"
              type="checkbox"
              checked={form.active}
              onChange={(e) => set('active', e.target.checked)}
            />
            Active (shown in the store)
          </label>
        </div>
        {physical && (
          <fieldset className="row">
            <legend>Physical goods</legend>
            <label>
              SKU
              <input name="sku" value={form.sku} onChange={(e) => set('sku', e.target.value)} />
              {field('sku')}
            </label>
            <label>
              Weight (grams)
              <input
                name="weightGrams"
                inputMode="numeric"
                value={form.weightGrams}
                onChange={(e) => set('weightGrams', e.target.value)}
              />
              {field('weightGrams')}
            </label>
            <label>
              Stock
              <input
                name="stock"
                inputMode="numeric"
                value={form.stock}
                onChange={(e) => set('stock', e.target.value)}
                placeholder="empty = unlimited"
              />
              {field('stock')}
            </label>
          </fieldset>
        )}
        <label>
          License (digital files)
          <input
            name="license"
            value={form.license}
            onChange={(e) => set('license', e.target.value)}
          />
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.busy}>
            {save.busy ? 'Saving…' : product ? 'Save changes' : 'Create product'}
          </button>
          {product && (
            <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          )}
          {savedNote && (
            <span className="saved" role="status">
              {savedNote}
            </span>
          )}
        </div>
      </form>
      {save.problem && <ProblemView problem={save.problem} />}

      {product && product.type !== 'physical' && (
        <ModelUpload product={product} onProduct={onSaved} />
      )}

      {confirmDelete && product && (
        <ConfirmDialog
          title={`Delete ${product.name}?`}
          confirmLabel="Delete"
          danger
          busy={remove.busy}
          onConfirm={() => void remove.run()}
          onCancel={() => {
            remove.clear();
            setConfirmDelete(false);
          }}
        >
          <p>
            If orders reference this product it is archived instead: hidden from the store, kept for
            those orders and their downloads. Otherwise it is deleted with its files.
          </p>
          {remove.problem && <ProblemView problem={remove.problem} />}
        </ConfirmDialog>
      )}
    </div>
  );
}
