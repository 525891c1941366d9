/**
 * @mdh/media — the media of a call as one sans-I/O core (`MediaSession`) plus one loop adapter.
 *
 * Public API is listed here explicitly; everything else under src/ is internal.
 */
export const MEDIA_PACKAGE_VERSION = '0.1.0';

export * from './ice/index.js';
