import { Router } from 'express';
import { VitrineError } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { bearerToken } from '../http/auth.js';
import { refreshPendingOrder } from '../payments/refresh.js';
import { findOrderByKey, getOrderView } from '../services/orders.js';

export function ordersRouter(context: AppContext): Router {
  const router = Router();

  router.get('/:orderId', async (req, res) => {
    const order = findOrderByKey(
      context.db,
      req.params.orderId,
      bearerToken(req.headers.authorization),
    );
    if (!order) {
      // The same answer for an unknown id and a wrong key, so ids cannot be probed.
      throw new VitrineError(
        'not_found',
        'There is no order with this id and key. Use the link from your receipt or the order confirmation page.',
      );
    }
    await refreshPendingOrder(context, order);

    res.set('cache-control', 'private, no-store');
    res.json(getOrderView(context, order.id));
  });

  return router;
}
