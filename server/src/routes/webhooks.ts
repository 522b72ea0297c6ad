import express, { Router } from 'express';
import { VitrineError, type ErrorBody } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { processStripeEvent } from '../payments/events.js';
import { constructWebhookEvent, type Stripe } from '../payments/stripe.js';

/**
 * `POST /api/webhooks/stripe`. Mounted before the JSON parser: the signature covers the exact
 * bytes, so this router reads the body raw, and only here.
 */
export function webhooksRouter(context: AppContext): Router {
  const router = Router();
  const log = context.logger.child({ area: 'webhook' });

  router.post('/stripe', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
    let event: Stripe.Event;
    try {
      event = constructWebhookEvent(context.config, req.body, req.header('stripe-signature'));
    } catch (error) {
      if (error instanceof VitrineError && error.code === 'payments_not_configured') throw error;
      // The reason goes to the log only; the sender learns nothing about why.
      log.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        'webhook refused: signature not verified',
      );
      const body: ErrorBody = {
        error: {
          code: 'invalid_signature',
          message: 'The webhook signature could not be verified.',
        },
      };
      res.status(400).json(body);
      return;
    }

    const result = processStripeEvent(context, event);
    log.info(
      {
        eventId: event.id,
        type: event.type,
        orderId: result.orderId,
        outcome: result.outcome,
        duplicate: result.duplicate,
      },
      'webhook event',
    );
    res.json(result.duplicate ? { received: true, duplicate: true } : { received: true });
  });

  return router;
}
