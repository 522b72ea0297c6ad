import { z } from 'zod';
import { currencyExponent } from './money.js';
import { FULFILLMENT_TYPES } from './stripe-metadata.js';

/** Money as the API sends and takes it: integer minor units and a lowercase ISO 4217 code. */
export const moneySchema = z
  .object({
    amount: z.number().int().nonnegative(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'currency must be a lowercase ISO 4217 code such as "eur"'),
  })
  .superRefine((money, ctx) => {
    // Stripe charges three-decimal currencies only in whole hundredths (the last digit is 0).
    // Enforcing it on every price keeps every sum of prices chargeable.
    if (currencyExponent(money.currency) === 3 && money.amount % 10 !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: `${money.currency.toUpperCase()} amounts must end in 0 (Stripe charges them in hundredths)`,
      });
    }
  });

/** The three kinds of product. `hybrid` is a model file plus a physical object. */
export const PRODUCT_TYPES = ['digital', 'physical', 'hybrid'] as const;
export const productTypeSchema = z.enum(PRODUCT_TYPES);
export type ProductType = z.infer<typeof productTypeSchema>;

export const fulfillmentTypeSchema = z.enum(FULFILLMENT_TYPES);

export const slugSchema = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'slug must be lowercase letters, digits and single hyphens');

/**
 * Stock counts at or below this are shown as a number on the storefront; above it, only as
 * "In stock". The published site is rebuilt when a shown count changes, so a sale of a
 * well-stocked item does not rebuild the whole storefront.
 */
export const LOW_STOCK_THRESHOLD = 5;

/** Physical side of a physical or hybrid product. `stock: null` means unlimited. */
export const physicalSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  weightGrams: z.number().int().nonnegative().max(1_000_000),
  stock: z.number().int().nonnegative().nullable(),
});
export type Physical = z.infer<typeof physicalSchema>;

/** What the server learned from an uploaded GLB. */
export const modelFactsSchema = z.object({
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  format: z.literal('glb'),
  triangles: z.number().int().nonnegative(),
  vertices: z.number().int().nonnegative(),
  meshes: z.number().int().nonnegative(),
  materials: z.number().int().nonnegative(),
  textures: z.number().int().nonnegative(),
  animations: z.number().int().nonnegative(),
  extensionsUsed: z.array(z.string()),
  extensionsRequired: z.array(z.string()),
  previewBytes: z.number().int().nonnegative().optional(),
});
export type ModelFacts = z.infer<typeof modelFactsSchema>;

/** A product as the public API and the desktop app see it. */
export const productSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  type: productTypeSchema,
  price: moneySchema,
  active: z.boolean(),
  physical: physicalSchema.optional(),
  license: z.string().optional(),
  /** Present once a model is uploaded (digital and hybrid). */
  model: modelFactsSchema.optional(),
  /** Public URL of the light preview copy, never the paid original. */
  previewUrl: z.string().nullable(),
  /** Public URL of the poster image. */
  posterUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /**
   * Admin API only: when the product was archived (deleted while orders refer to it), else
   * null. The public API leaves it out.
   */
  archivedAt: z.string().nullable().optional(),
});
export type Product = z.infer<typeof productSchema>;

/** Body of `POST /api/admin/products`. */
export const productCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(20_000).default(''),
    type: productTypeSchema,
    price: moneySchema,
    slug: slugSchema.optional(),
    active: z.boolean().default(true),
    physical: physicalSchema.optional(),
    license: z.string().max(2_000).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.type !== 'digital' && !value.physical) {
      ctx.addIssue({
        code: 'custom',
        path: ['physical'],
        message: `a ${value.type} product needs physical: { sku, weightGrams, stock }`,
      });
    }
  });
export type ProductCreate = z.infer<typeof productCreateSchema>;

/** Body of `PATCH /api/admin/products/:id`: any subset of the create fields. */
export const productUpdateSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(20_000),
    type: productTypeSchema,
    price: moneySchema,
    slug: slugSchema,
    active: z.boolean(),
    physical: physicalSchema.nullable(),
    license: z.string().max(2_000).nullable(),
  })
  .partial()
  .strict();
export type ProductUpdate = z.infer<typeof productUpdateSchema>;

/** ISO 3166-1 alpha-2 country code, upper case. */
export const countrySchema = z
  .string()
  .trim()
  .transform((value) => value.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code such as "DE"'));

export const shippingAddressSchema = z.object({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(200),
  state: z.string().trim().max(200).optional(),
  postalCode: z.string().trim().min(1).max(40),
  country: countrySchema,
});
export type ShippingAddress = z.infer<typeof shippingAddressSchema>;

/** Body of `POST /api/checkout` and `POST /api/checkout/session`. Prices never come from here. */
export const checkoutRequestSchema = z
  .object({
    items: z
      .array(
        z.object({
          productId: z.string().min(1).max(100),
          quantity: z.number().int().min(1).max(100),
        }),
      )
      .min(1, 'the cart is empty')
      .max(50),
    email: z.email().max(254),
    shippingAddress: shippingAddressSchema.optional(),
    /**
     * The order an earlier checkout call made for this cart, with its key. The server cancels
     * it (and returns its reserved stock) when it is still unpaid, so a changed cart never
     * leaves an older payment open at the old amount.
     */
    replaces: z
      .object({ orderId: z.string().min(1).max(100), orderKey: z.string().min(1).max(200) })
      .strict()
      .optional(),
  })
  .strict();
export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;

export interface CheckoutResponse {
  orderId: string;
  orderKey: string;
  clientSecret: string;
  total: z.infer<typeof moneySchema>;
  /** The Stripe publishable key the Payment Element needs (pk_test_… outside production). */
  publishableKey?: string;
}

/** `POST /api/checkout/session`: a hosted Stripe Checkout page for the same cart. */
export interface CheckoutSessionResponse {
  orderId: string;
  orderKey: string;
  url: string;
  total: z.infer<typeof moneySchema>;
}

export const ORDER_STATUSES = [
  'pending',
  'paid',
  'fulfilled',
  'failed',
  'canceled',
  'refunded',
  'disputed',
  /** Money was taken but did not match the order (amount or currency): the owner decides. */
  'needs_review',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const SHIPMENT_STATUSES = ['pending', 'packed', 'shipped', 'delivered', 'returned'] as const;
export const shipmentStatusSchema = z.enum(SHIPMENT_STATUSES);
export type ShipmentStatus = z.infer<typeof shipmentStatusSchema>;

/** Body of `PATCH /api/admin/orders/:orderId/shipment`. */
export const shipmentUpdateSchema = z
  .object({
    status: shipmentStatusSchema,
    carrier: z.string().trim().min(1).max(60).optional(),
    trackingNumber: z.string().trim().min(1).max(100).optional(),
  })
  .strict();
export type ShipmentUpdate = z.infer<typeof shipmentUpdateSchema>;

export interface Shipment {
  id: string;
  status: ShipmentStatus;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  updatedAt: string;
  history?: { from: ShipmentStatus | null; to: ShipmentStatus; by: string; at: string }[];
}

export interface OrderItem {
  productId: string | null;
  name: string;
  /** `product` for catalog lines, `shipping` for the shipping rate line. */
  kind: 'product' | 'shipping';
  productType: ProductType | null;
  quantity: number;
  unitPrice: z.infer<typeof moneySchema>;
  total: z.infer<typeof moneySchema>;
}

export interface OrderDownload {
  grantId?: string;
  productId: string;
  name: string;
  url: string;
  expiresAt: string;
  remaining: number;
  revoked?: boolean;
}

/** A download grant as `/api/admin/grants/:grantId` returns it. */
export interface DownloadGrant {
  id: string;
  orderId: string;
  productId: string;
  name: string;
  maxDownloads: number;
  downloadsUsed: number;
  /** Downloads the link still serves now: 0 once revoked or expired. */
  remaining: number;
  expiresAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  createdAt: string;
  /** A freshly signed download link. */
  url: string;
}

/** Body of `POST /api/admin/grants/:grantId/extend`: more days, more downloads, or both. */
export const grantExtendSchema = z
  .object({
    /** Added to the expiry, or counted from now when the grant has already expired. */
    days: z.number().int().min(1).max(365).optional(),
    /** Added to the grant's maximum number of downloads. */
    downloads: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
  .refine((value) => value.days !== undefined || value.downloads !== undefined, {
    message: 'give days (1–365), downloads (1–1000), or both',
  });
export type GrantExtend = z.infer<typeof grantExtendSchema>;

/** Body of `POST /api/admin/grants/:grantId/revoke`; the reason is optional. */
export const grantRevokeSchema = z
  .object({ reason: z.string().trim().min(1).max(200).optional() })
  .strict();

/** `GET /api/orders/:orderId` */
export interface OrderView {
  orderId: string;
  status: OrderStatus;
  email: string;
  items: OrderItem[];
  total: z.infer<typeof moneySchema>;
  downloads: OrderDownload[];
  shipments: Shipment[];
  createdAt: string;
}

/** Publishing of the static site, as `GET /api/admin/publish` reports it. */
export interface PublishState {
  state: 'idle' | 'building' | 'failed' | 'succeeded';
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  lastError: string | null;
  lastSuccessAt: string | null;
  log?: string;
}

/** Formats zod issues as one sentence per field, for `invalid_request` messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}
