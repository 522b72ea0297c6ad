import type { FulfillmentType } from '@vitrine/shared';
import type { AppContext } from '../../context.js';
import type { OrderRow } from '../../services/orders.js';

/** What a strategy reports back; `attention` flags the order for the owner without failing it. */
export interface StrategyResult {
  attention?: string;
}

/**
 * How one kind of order is delivered. `fulfill` runs inside the fulfilment write transaction,
 * must be synchronous, and must be safe to run again for the same order (every service it
 * calls is idempotent), so a retry after a crash never delivers twice.
 */
export interface FulfillmentStrategy {
  type: FulfillmentType;
  fulfill(context: AppContext, order: OrderRow): StrategyResult | void;
}
