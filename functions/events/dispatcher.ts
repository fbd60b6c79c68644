import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** Placeholder: the webhook dispatcher (a single instance) is built in functions/events/. */
export class EventDispatcher extends DurableObject<Env> {}
