import type { ImageService } from './service.js';

/** What the API layers may ask of images. */
export type ImagesPort = ImageService;
