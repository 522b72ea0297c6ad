import { Router } from 'express';
import type { AppContext } from '../context.js';

export function healthRouter({ db }: AppContext): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    db.prepare('SELECT 1').get();
    res.json({ status: 'ok' });
  });
  return router;
}
