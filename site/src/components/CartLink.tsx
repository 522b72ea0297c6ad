import { useStore } from '@nanostores/react';
import { $cart, cartCount } from '../lib/cart';
import { useHydrated } from '../lib/use-hydrated';

export interface CartLinkProps {
  href?: string;
}

/** The header's cart link with the number of items, kept in step with every other island. */
export default function CartLink({ href = '/cart/' }: CartLinkProps) {
  const lines = useStore($cart);
  const hydrated = useHydrated();
  const count = hydrated ? cartCount(lines) : 0;

  return (
    <a className="cart-link" href={href} data-count={count}>
      Cart{count > 0 ? <span className="cart-count"> ({count})</span> : null}
    </a>
  );
}
