import type { AppContext } from '../context.js';

// Placeholder while the parallel work lands: the outbox worker and pending-order expiry start here.
export function startBackgroundWork(_context: AppContext): void {}
