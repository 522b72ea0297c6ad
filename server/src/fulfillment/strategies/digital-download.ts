import { createGrants } from '../../services/downloads.js';
import type { FulfillmentStrategy } from './types.js';

/** Digital goods: one download grant per model line, with the configured limit and lifetime. */
export const digitalDownload: FulfillmentStrategy = {
  type: 'digital_download',
  fulfill(context, order) {
    createGrants(context, order.id);
  },
};
