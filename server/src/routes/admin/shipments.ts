import { Router } from 'express';
import { shipmentUpdateSchema } from '@vitrine/shared';
import type { AppContext } from '../../context.js';
import { parseBody } from '../../http/validate.js';
import { moveShipment } from '../../services/shipments.js';

/** `PATCH /api/admin/orders/:orderId/shipment` → the updated Shipment (with history). */
export function adminShipmentsRouter(context: AppContext): Router {
  const router = Router();
  const log = context.logger.child({ area: 'admin' });

  router.patch('/:orderId/shipment', (req, res) => {
    const update = parseBody(shipmentUpdateSchema, req.body);
    const shipment = moveShipment(context, req.params.orderId, update, 'admin');
    log.info(
      { orderId: req.params.orderId, shipmentId: shipment.id, status: shipment.status },
      'shipment moved',
    );

    res.json(shipment);
  });

  return router;
}
