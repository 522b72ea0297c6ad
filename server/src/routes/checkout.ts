import { Router } from 'express';
import { checkoutRequestSchema } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { parseBody } from '../http/validate.js';
import { requireStripe } from '../payments/stripe.js';
import { startHostedCheckout, startPaymentIntentCheckout } from '../services/checkout.js';

export function checkoutRouter(context: AppContext): Router {
  const router = Router();
  const { config } = context;

  // What the storefront needs before it shows a payment form; never a secret.
  router.get('/', (_req, res) => {
    res.json({
      enabled: Boolean(config.stripe.secretKey && config.stripe.publishableKey),
      publishableKey: config.stripe.publishableKey ?? null,
      currency: config.currency,
    });
  });

  router.post('/', async (req, res) => {
    requireStripe(config);
    const body = parseBody(checkoutRequestSchema, req.body);
    const result = await startPaymentIntentCheckout(context, body);

    res.status(201).json(result);
  });

  router.post('/session', async (req, res) => {
    requireStripe(config);
    const body = parseBody(checkoutRequestSchema, req.body);
    const result = await startHostedCheckout(context, body);

    res.status(201).json(result);
  });

  return router;
}
