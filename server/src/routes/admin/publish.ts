import { Router } from 'express';
import type { AppContext } from '../../context.js';
import { getPublishStatus, startPublish } from '../../services/publish.js';

/**
 * `POST /api/admin/publish` starts a site build and answers 202 at once (a build already
 * running answers 202 with its state and queues one more); `GET` reports progress.
 */
export function adminPublishRouter(context: AppContext): Router {
  const router = Router();

  router.post('/', (_req, res) => {
    const status = startPublish(context, 'admin');

    res.status(202).location('/api/admin/publish').json(status);
  });

  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(getPublishStatus(context));
  });

  return router;
}
