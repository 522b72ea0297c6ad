import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Product } from '@vitrine/shared';
import type { Problem } from '../../common/bridge.js';
import { ProblemView } from '../components/problem-view.js';
import { asProblem, call, vitrine } from '../lib/bridge.js';
import { money } from '../lib/format.js';
import { ProductEditor } from './product-editor.js';

type Selection = { mode: 'none' } | { mode: 'new' } | { mode: 'edit'; id: string };

/** The catalog: a searchable list on the left, the selected product's editor on the right. */
export function ProductsPage() {
  const [products, setProducts] = useState<Product[]>([]);
  const [query, setQuery] = useState('');
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [selection, setSelection] = useState<Selection>({ mode: 'none' });

  const load = useCallback(async (q: string) => {
    setLoading(true);
    try {
      setProducts(await call(vitrine().productsList(q)));
      setProblem(null);
    } catch (error) {
      setProblem(asProblem(error, 'Loading the products'));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load('');
  }, [load]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    void load(query);
  };

  const selected =
    selection.mode === 'edit' ? products.find((p) => p.id === selection.id) : undefined;
  const defaultCurrency = products[0]?.price.currency ?? 'usd';

  const saved = (product: Product) => {
    setProducts((list) => {
      const index = list.findIndex((item) => item.id === product.id);
      if (index === -1) return [product, ...list];
      const copy = list.slice();
      copy[index] = product;
      return copy;
    });
    setSelection({ mode: 'edit', id: product.id });
  };

  return (
    <div className="split">
      <aside className="list-pane" aria-label="Products">
        <form className="search" role="search" onSubmit={search}>
          <input
            type="search"
            name="q"
            placeholder="Search name, slug or SKU"
            aria-label="Search products"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          <button type="submit">Search</button>
        </form>
        <button
          type="button"
          className="primary wide"
          onClick={() => setSelection({ mode: 'new' })}
        >
          New product
        </button>
        {problem && <ProblemView problem={problem} />}
        {loading && <p className="muted">Loading…</p>}
        {!loading && !problem && products.length === 0 && (
          <p className="muted">{query ? 'No product matches.' : 'No products yet.'}</p>
        )}
        <ul className="items" data-testid="product-list">
          {products.map((product) => (
            <li key={product.id}>
              <button
                type="button"
                className={
                  selection.mode === 'edit' && selection.id === product.id
                    ? 'item selected'
                    : 'item'
                }
                onClick={() => setSelection({ mode: 'edit', id: product.id })}
              >
                <span className="item-title">{product.name}</span>
                <span className="item-meta">
                  {product.type} · {money(product.price)}
                  {!product.active && ' · inactive'}
                  {(product as { archivedAt?: string | null }).archivedAt && ' · archived'}
                  {product.type !== 'physical' && !product.model && ' · no model'}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="detail-pane">
        {selection.mode === 'none' && <p className="muted">Choose a product, or create one.</p>}
        {selection.mode === 'new' && (
          <ProductEditor
            key="new"
            product={null}
            defaultCurrency={defaultCurrency}
            onSaved={saved}
            onDeleted={() => setSelection({ mode: 'none' })}
          />
        )}
        {selection.mode === 'edit' && selected && (
          <ProductEditor
            key={selected.id}
            product={selected}
            defaultCurrency={defaultCurrency}
            onSaved={saved}
            onDeleted={(id, outcome) => {
              if (outcome === 'deleted') setProducts((list) => list.filter((p) => p.id !== id));
              else void load(query);
              setSelection({ mode: 'none' });
            }}
          />
        )}
      </section>
    </div>
  );
}
