import { describe, expect, it } from 'vitest';
import { describeCheckoutError } from '../../src/components/CheckoutForm';
import { ApiError } from '../../src/lib/api';
import { describePaymentError } from '../../src/lib/stripe';

describe('describeCheckoutError()', () => {
  it('explains that Stripe test keys are needed when payments are not configured', () => {
    const text = describeCheckoutError(new ApiError('payments_not_configured', 503, 'server text'));

    expect(text).toContain('STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY');
  });

  it('passes on the server’s sentence for problems the shopper can fix', () => {
    for (const code of ['out_of_stock', 'shipping_unavailable', 'invalid_request']) {
      expect(describeCheckoutError(new ApiError(code, 409, `The ${code} message.`))).toBe(
        `The ${code} message.`,
      );
    }
  });

  it('hides server errors behind a general sentence', () => {
    const text = describeCheckoutError(
      new ApiError('internal_error', 500, 'stack trace at line 3'),
    );

    expect(text).not.toContain('stack trace');
    expect(text).toContain('not been charged');
  });
});

describe('describePaymentError()', () => {
  it('shows Stripe’s message for card and validation errors only', () => {
    expect(describePaymentError({ type: 'card_error', message: 'Your card was declined.' })).toBe(
      'Your card was declined.',
    );
    expect(
      describePaymentError({
        type: 'validation_error',
        message: 'Your card number is incomplete.',
      }),
    ).toBe('Your card number is incomplete.');
    expect(describePaymentError({ type: 'api_error', message: 'Internal details' })).not.toContain(
      'Internal details',
    );
    expect(describePaymentError(undefined)).toContain('you have not been charged');
  });
});
