import { createGrants } from '../../services/downloads.js';
import { shipGoods } from './physical-shipping.js';
import type { FulfillmentStrategy } from './types.js';

/** Hybrid products and mixed carts: download grants for the model lines, a shipment for the rest. */
export const digitalAndPhysical: FulfillmentStrategy = {
  type: 'digital_and_physical',
  fulfill(context, order) {
    createGrants(context, order.id);
    return shipGoods(context.db, order.id);
  },
};
