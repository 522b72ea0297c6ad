import type { Stripe } from '@stripe/stripe-js';
// The "pure" entry does not insert Stripe.js on import; it loads only when loadStripe is called,
// so no page but the checkout's payment step ever contacts Stripe.
import { loadStripe } from '@stripe/stripe-js/pure';

/** The publishable key baked in when the site was built (Astro public env). */
export const PUBLISHABLE_KEY: string = import.meta.env.PUBLIC_STRIPE_PUBLISHABLE_KEY ?? '';

const stripePromises = new Map<string, Promise<Stripe | null>>();

/**
 * Loads Stripe.js once per page and key. The key is the server's current one when it sent one
 * with the checkout (keys can change after the site was built), else the build's.
 */
export function getStripe(publishableKey: string = PUBLISHABLE_KEY): Promise<Stripe | null> {
  if (!publishableKey) return Promise.resolve(null);
  let promise = stripePromises.get(publishableKey);
  if (!promise) {
    promise = loadStripe(publishableKey).catch((error: unknown) => {
      stripePromises.delete(publishableKey);
      throw error;
    });
    stripePromises.set(publishableKey, promise);
  }
  return promise;
}

/**
 * The text to show for a failed confirmPayment. Stripe's own message is meant for shoppers only
 * for card and validation errors; anything else gets a general sentence.
 */
export function describePaymentError(
  error: { type?: string; message?: string } | undefined,
): string {
  if (
    error &&
    (error.type === 'card_error' || error.type === 'validation_error') &&
    error.message
  ) {
    return error.message;
  }
  return 'The payment could not be completed, and you have not been charged. Check your details and try again, or try again in a moment.';
}
