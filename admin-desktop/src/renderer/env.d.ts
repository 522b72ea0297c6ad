import type { VitrineBridge } from '../common/bridge.js';

declare global {
  interface Window {
    /** Set by the preload (or by a test bridge); the renderer's only way out. */
    vitrine: VitrineBridge;
  }
}
