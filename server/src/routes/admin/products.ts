import express, { Router, type Request, type Response } from 'express';
import { VitrineError, productCreateSchema, productUpdateSchema } from '@vitrine/shared';
import type { AppContext } from '../../context.js';
import { parseBody } from '../../http/validate.js';
import {
  createProduct,
  deleteProduct,
  getAdminProduct,
  getProductRow,
  listAllProducts,
  requireProductRow,
  updateProduct,
} from '../../services/catalog.js';
import { removeCustomPoster, storeCustomPoster } from '../../services/models/custom-poster.js';
import { assertTakesModel, cleanFilename, ingestModel } from '../../services/models/ingest.js';
import { UploadAbortedError, receiveToTmp, tooLarge } from '../../services/models/store.js';

const MODEL_TYPES = new Set(['model/gltf-binary', 'application/octet-stream']);
const POSTER_TYPES = ['image/png', 'image/jpeg'];
const POSTER_LIMIT = '20mb';

/** The media type of a request without parameters, lower case. */
function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Fills in a currency when a price comes without one: the store's for a new product, the
 * product's own for an update, so a new amount never silently changes what currency it is in.
 */
function withCurrency(body: unknown, currency: string): unknown {
  if (!body || typeof body !== 'object') return body;
  const price = (body as { price?: unknown }).price;
  if (!price || typeof price !== 'object' || 'currency' in price) return body;
  return { ...body, price: { ...price, currency } };
}

/**
 * `/api/admin/products`: the owner's catalog. Mounted before the app's JSON parser so model
 * and poster uploads can stream, so the JSON routes bring their own parser.
 */
export function adminProductsRouter(context: AppContext): Router {
  const router = Router();
  const json = express.json({ limit: '100kb' });
  const log = context.logger.child({ area: 'admin' });

  router.get('/', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : undefined;

    res.json({ products: listAllProducts(context, q) });
  });

  router.post('/', json, (req, res) => {
    const input = parseBody(productCreateSchema, withCurrency(req.body, context.config.currency));
    const product = createProduct(context, input);
    log.info({ productId: product.id, slug: product.slug }, 'product created');

    res.status(201).location(`/api/admin/products/${product.id}`).json(product);
  });

  router.get('/:id', (req, res) => {
    res.json(getAdminProduct(context, req.params.id));
  });

  router.patch('/:id', json, (req, res) => {
    // An unknown id falls through to updateProduct, which answers 404.
    const currency = getProductRow(context.db, req.params.id)?.currency ?? context.config.currency;
    const patch = parseBody(productUpdateSchema, withCurrency(req.body, currency));
    const product = updateProduct(context, req.params.id, patch);
    log.info({ productId: product.id, fields: Object.keys(patch) }, 'product updated');

    res.json(product);
  });

  router.delete('/:id', (req, res) => {
    const outcome = deleteProduct(context, req.params.id);
    log.info({ productId: outcome.id, outcome: outcome.outcome }, 'product removed');

    res.json(outcome);
  });

  router.put('/:id/model', async (req, res) => {
    try {
      const row = requireProductRow(context.db, req.params.id);
      assertTakesModel(row);
      const type = mediaType(req);
      if (type === 'model/gltf+json') {
        throw new VitrineError(
          'unsupported_media_type',
          'Text glTF (.gltf) is not accepted: Vitrine sells self-contained files. Export the model as glTF Binary (.glb) with its textures embedded and upload the .glb.',
        );
      }
      if (!MODEL_TYPES.has(type)) {
        throw new VitrineError(
          'unsupported_media_type',
          `A model upload needs "Content-Type: model/gltf-binary" (or application/octet-stream), not "${type || 'none'}".`,
          { hint: 'Send the raw bytes of the .glb file as the request body.' },
        );
      }
      const limit = context.config.maxUploadBytes;
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);

      const received = await receiveToTmp(context, req, limit);
      quietWhileProcessing(req, res);
      const sent =
        typeof req.query.filename === 'string' ? req.query.filename : req.get('x-filename');
      const result = await ingestModel(context, row.id, received, cleanFilename(sent, row.slug));

      res.json(result);
    } catch (error) {
      refuseUnreadBody(req, res);
      if (error instanceof UploadAbortedError) {
        log.info(
          { productId: req.params.id },
          'model upload aborted by the client; nothing was kept',
        );
        throw new VitrineError('invalid_request', error.message);
      }
      throw error;
    }
  });

  router.put('/:id/poster', async (req, res, next) => {
    requireProductRow(context.db, req.params.id);
    if (!POSTER_TYPES.includes(mediaType(req))) {
      refuseUnreadBody(req, res);
      throw new VitrineError(
        'unsupported_media_type',
        `A poster upload needs "Content-Type: image/png" or "image/jpeg", not "${mediaType(req) || 'none'}".`,
      );
    }
    express.raw({ type: POSTER_TYPES, limit: POSTER_LIMIT })(req, res, (error?: unknown) => {
      if (error) {
        refuseUnreadBody(req, res);
        next(error);
        return;
      }
      storeCustomPoster(context, req.params.id, req.body as Buffer).then((product) => {
        log.info({ productId: product.id }, 'custom poster stored');
        res.json(product);
      }, next);
    });
  });

  router.delete('/:id/poster', (req, res) => {
    res.json(removeCustomPoster(context, req.params.id));
  });

  return router;
}

/**
 * Validation, preview and poster of a large model (or a queue of them) can keep a client
 * waiting quietly for minutes once its body has arrived: the connection's idle timeout is
 * suspended until the answer has gone out, then restored for the next request on it.
 */
function quietWhileProcessing(req: Request, res: Response): void {
  const idle = req.socket.timeout ?? 0;
  req.socket.setTimeout(0);
  res.once('finish', () => {
    if (!req.socket.destroyed) req.socket.setTimeout(idle);
  });
}

/**
 * When the answer goes out before the body was read (a refusal, a limit), ask Node to close
 * the connection after it instead of reading and discarding what may be gigabytes.
 */
function refuseUnreadBody(req: Request, res: Response): void {
  if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
}
