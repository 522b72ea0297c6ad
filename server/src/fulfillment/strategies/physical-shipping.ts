import { createShipment } from '../../services/shipments.js';
import { commitStock } from '../../services/stock.js';
import type { FulfillmentStrategy, StrategyResult } from './types.js';

/**
 * Physical goods: the reserved units become sold and a shipment opens in `pending` for the
 * owner to pack. When the reservation had been released (the order expired, then a late
 * payment arrived) and the units are gone meanwhile, the order is still fulfilled (the money
 * was taken) but flagged, so the owner restocks or refunds.
 */
export const physicalShipping: FulfillmentStrategy = {
  type: 'physical_shipping',
  fulfill(context, order) {
    return shipGoods(context.db, order.id);
  },
};

export function shipGoods(db: Parameters<typeof commitStock>[0], orderId: string): StrategyResult {
  const { shortfalls } = commitStock(db, orderId);
  createShipment(db, orderId);
  if (shortfalls.length === 0) return {};
  const detail = shortfalls
    .map((s) => `${s.quantity} × ${s.productId} (${s.available} in stock)`)
    .join(', ');
  return { attention: `stock_shortfall: paid after its reservation lapsed, short of ${detail}` };
}
