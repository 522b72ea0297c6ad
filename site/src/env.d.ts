/// <reference types="astro/client" />

interface ImportMetaEnv {
  /** Stripe publishable key (pk_test_… / pk_live_…), set by the publish service; empty without Stripe. */
  readonly PUBLIC_STRIPE_PUBLISHABLE_KEY?: string;
  /** Server URL when the site is hosted elsewhere (a CDN); empty means the same origin. */
  readonly PUBLIC_API_BASE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
