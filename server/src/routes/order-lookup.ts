import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { parseBody } from '../http/validate.js';
import { createOrderLookup, type OrderLookupLimits } from '../services/order-lookup.js';

const lookupSchema = z.object({ email: z.email().max(254) }).strict();

/**
 * `POST /api/orders/lookup { email }` → 202 `{ ok: true }`, whether or not the address has
 * orders; the orders, if any, arrive by email. 429 `rate_limited` per IP and per address.
 */
export function orderLookupRouter(context: AppContext, limits?: OrderLookupLimits): Router {
  const router = Router();
  const lookup = createOrderLookup(context, limits);
  context.onClose.push(() => lookup.idle());

  router.post('/', (req, res) => {
    const { email } = parseBody(lookupSchema, req.body);
    try {
      lookup.request(email, req.ip ?? req.socket.remoteAddress ?? 'unknown');
    } catch (error) {
      const retryAfter = (error as { details?: { retryAfterSeconds?: number } }).details
        ?.retryAfterSeconds;
      if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
      throw error;
    }

    res.status(202).json({ ok: true });
  });

  return router;
}
