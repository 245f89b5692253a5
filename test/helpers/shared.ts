import path from 'node:path';

/** The team's shared models: ../shared/models beside the repo root, wherever the clone lives (never copied in). */
export const SHARED_MODELS = path.resolve(import.meta.dirname, '../../../shared/models');
/** The real 260K-parameter TinyStories llama. */
export const TINY_MODEL = path.join(SHARED_MODELS, 'stories260K.gguf');
