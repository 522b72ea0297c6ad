import { Router } from 'express';
import { ORDER_STATUSES, VitrineError, type OrderStatus } from '@vitrine/shared';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { parseBody } from '../../http/validate.js';
import { refundOrder } from '../../payments/refunds.js';
import { getAdminOrder, listOrders } from '../../services/orders.js';

const listQuerySchema = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  q: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const refundBodySchema = z
  .object({ reason: z.enum(['requested_by_customer', 'duplicate', 'fraudulent']).optional() })
  .strict();

export function adminOrdersRouter(context: AppContext): Router {
  const router = Router();

  router.get('/', (req, res) => {
    const query = parseBody(listQuerySchema, {
      status: req.query.status || undefined,
      q: req.query.q || undefined,
      limit: req.query.limit || undefined,
    });

    res.json({
      orders: listOrders(context.db, { ...query, status: query.status as OrderStatus | undefined }),
    });
  });

  router.get('/:orderId', (req, res) => {
    res.json(getAdminOrder(context, req.params.orderId));
  });

  router.post('/:orderId/refund', async (req, res) => {
    const body = parseBody(refundBodySchema, req.body ?? {});
    const refund = await refundOrder(context, req.params.orderId, body.reason);
    if (!refund) throw new VitrineError('not_found', `There is no order ${req.params.orderId}.`);

    res.status(202).json(refund);
  });

  return router;
}
