import { Router } from 'express';
import type { AppContext } from '../context.js';

// Placeholder while the parallel work lands; the owner replaces this file.
export function productsRouter(_context: AppContext): Router {
  return Router();
}
