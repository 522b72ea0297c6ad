import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import { formatMoney, type Money } from '@vitrine/shared';
import { useState, type FormEvent } from 'react';
import { describePaymentError, getStripe } from '../lib/stripe';

export interface PaymentStepProps {
  clientSecret: string;
  publishableKey: string;
  total: Money;
  returnUrl: string;
}

function PayForm({ total, returnUrl }: Pick<PaymentStepProps, 'total' | 'returnUrl'>) {
  const stripe = useStripe();
  const elements = useElements();
  const [elementReady, setElementReady] = useState(false);
  const [paying, setPaying] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const pay = async (event: FormEvent) => {
    event.preventDefault();
    if (!stripe || !elements) return;
    setPaying(true);
    setError(null);
    const result = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: returnUrl },
    });
    // On success Stripe.js leaves for return_url; coming back here means it did not.
    setError(describePaymentError(result.error));
    setPaying(false);
  };

  return (
    <form className="payment-form" onSubmit={pay} data-ready={elementReady ? 'true' : 'false'}>
      <PaymentElement
        onReady={() => setElementReady(true)}
        onLoadError={() =>
          setError(
            'The payment form could not be loaded. Check your connection and reload the page.',
          )
        }
      />
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <button
        type="submit"
        className="button primary"
        disabled={!stripe || !elements || !elementReady || paying}
      >
        {paying ? 'Paying…' : `Pay ${formatMoney(total)}`}
      </button>
    </form>
  );
}

/** The Payment Element for one PaymentIntent. A new cart means a new intent and a fresh mount. */
export default function PaymentStep({
  clientSecret,
  publishableKey,
  total,
  returnUrl,
}: PaymentStepProps) {
  const [loadFailed, setLoadFailed] = useState(false);
  // A blocked or unreachable js.stripe.com resolves to null here instead of an unhandled rejection.
  const [stripePromise] = useState(() =>
    getStripe(publishableKey).then(
      (stripe) => {
        if (!stripe) setLoadFailed(true);
        return stripe;
      },
      () => {
        setLoadFailed(true);
        return null;
      },
    ),
  );

  if (loadFailed) {
    return (
      <p className="form-error" role="alert">
        Stripe’s payment form could not be loaded. Check your connection, allow js.stripe.com if a
        blocker is on, and reload the page. You have not been charged.
      </p>
    );
  }

  return (
    <Elements
      key={clientSecret}
      stripe={stripePromise}
      options={{ clientSecret, appearance: { theme: 'stripe' } }}
    >
      <PayForm total={total} returnUrl={returnUrl} />
    </Elements>
  );
}
