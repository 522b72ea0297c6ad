import { Router } from 'express';
import { VitrineError } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { getActiveProductBySlug, listActiveProducts } from '../services/catalog.js';

/** `/api/products`: the public catalog, active products only. */
export function productsRouter(context: AppContext): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({ products: listActiveProducts(context) });
  });

  router.get('/:slug', (req, res) => {
    const product = getActiveProductBySlug(context, req.params.slug);
    if (!product) {
      throw new VitrineError(
        'not_found',
        `There is no product "${req.params.slug}" in this store.`,
        {
          hint: 'GET /api/products lists the products on sale.',
        },
      );
    }

    res.json(product);
  });

  return router;
}
