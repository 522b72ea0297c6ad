import { useStore } from '@nanostores/react';
import { formatMoney } from '@vitrine/shared';
import {
  $cart,
  cartSubtotal,
  hasQuantity,
  MAX_QUANTITY,
  removeFromCart,
  updateQuantity,
} from '../lib/cart';

export interface CartViewProps {
  checkoutHref?: string;
  catalogHref?: string;
}

/** The cart page: lines, quantities for physical goods, the estimated subtotal. */
export default function CartView({
  checkoutHref = '/checkout/',
  catalogHref = '/',
}: CartViewProps) {
  const lines = useStore($cart);
  const subtotal = cartSubtotal(lines);

  if (lines.length === 0) {
    return (
      <div className="cart-empty" data-ready="true">
        <p>Your cart is empty.</p>
        <a className="button" href={catalogHref}>
          Browse the catalog
        </a>
      </div>
    );
  }

  return (
    <div className="cart" data-ready="true">
      <ul className="cart-lines">
        {lines.map((line) => (
          <li key={line.productId} className="cart-line" data-product-id={line.productId}>
            {line.posterUrl ? (
              <img src={line.posterUrl} alt="" width={64} height={64} />
            ) : (
              <span className="thumb-placeholder" />
            )}
            <div className="cart-line-main">
              <a href={`/products/${line.slug}/`}>{line.name}</a>
              <span className="muted">
                {line.type === 'digital'
                  ? 'GLB download'
                  : line.type === 'hybrid'
                    ? 'GLB download + physical item'
                    : 'Physical item'}
              </span>
            </div>
            {hasQuantity(line.type) ? (
              <label className="quantity">
                Quantity
                <input
                  type="number"
                  min={1}
                  max={Math.min(MAX_QUANTITY, line.stock ?? MAX_QUANTITY)}
                  value={line.quantity}
                  onChange={(event) => updateQuantity(line.productId, Number(event.target.value))}
                />
              </label>
            ) : (
              <span className="quantity">1 file</span>
            )}
            <span className="cart-line-total">
              {formatMoney({
                amount: line.unitPrice.amount * line.quantity,
                currency: line.unitPrice.currency,
              })}
            </span>
            <button
              type="button"
              className="link-button"
              onClick={() => removeFromCart(line.productId)}
            >
              Remove<span className="visually-hidden"> {line.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <p className="cart-subtotal">
        Subtotal: <strong>{subtotal ? formatMoney(subtotal) : '—'}</strong>
        <span className="muted">
          {' '}
          Shipping, if any, is added at checkout. The checkout shows the final total.
        </span>
      </p>
      <a className="button primary" href={checkoutHref}>
        Go to checkout
      </a>
    </div>
  );
}
