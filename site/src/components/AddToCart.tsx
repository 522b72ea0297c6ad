import { useStore } from '@nanostores/react';
import { useId, useState } from 'react';
import { $cart, addToCart, hasQuantity, MAX_QUANTITY, type CartProduct } from '../lib/cart';
import { useHydrated } from '../lib/use-hydrated';

export interface AddToCartProps {
  product: CartProduct;
  cartHref?: string;
}

/** Adds the product to the cart; physical and hybrid goods take a quantity. */
export default function AddToCart({ product, cartHref = '/cart/' }: AddToCartProps) {
  const lines = useStore($cart);
  const hydrated = useHydrated();
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState(false);
  const quantityId = useId();
  const inCart = hydrated ? lines.find((line) => line.productId === product.productId) : undefined;
  const soldOut = product.stock !== null && product.stock <= 0;
  const ceiling = Math.min(MAX_QUANTITY, product.stock ?? MAX_QUANTITY);
  const digitalInCart = !hasQuantity(product.type) && inCart !== undefined;

  const add = () => {
    addToCart(product, quantity);
    setAdded(true);
  };

  return (
    <div className="add-to-cart" data-ready={hydrated ? 'true' : 'false'}>
      {hasQuantity(product.type) && !soldOut ? (
        <label className="quantity" htmlFor={quantityId}>
          Quantity
          <input
            id={quantityId}
            type="number"
            inputMode="numeric"
            min={1}
            max={ceiling}
            value={quantity}
            onChange={(event) =>
              setQuantity(Math.max(1, Math.min(ceiling, Number(event.target.value) || 1)))
            }
          />
        </label>
      ) : null}
      <button
        type="button"
        className="button primary"
        disabled={!hydrated || soldOut || digitalInCart}
        onClick={add}
      >
        {soldOut ? 'Sold out' : digitalInCart ? 'In your cart' : 'Add to cart'}
      </button>
      <p className="add-to-cart-status" role="status" aria-live="polite">
        {added || inCart ? (
          <>
            {added ? 'Added to your cart. ' : ''}
            <a href={cartHref}>
              View cart
              {inCart
                ? ` (${inCart.quantity} ${inCart.quantity === 1 ? 'item' : 'items'} of this)`
                : ''}
            </a>
          </>
        ) : null}
      </p>
    </div>
  );
}
