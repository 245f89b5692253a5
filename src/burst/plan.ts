import type { BurstConfig } from '../config/schema.js';
import { AuthError, LunaError } from '../errors.js';
import type { BurstProvider, Offer, ProviderName } from './types.js';

export interface PlanRequest {
  gpuType?: string;
  gpuCount: number;
  maxPricePerHour?: number;
  diskGb?: number;
  spot?: boolean;
}

export interface OfferSearch {
  offers: Offer[];
  /** Providers that could not be asked, and why (a missing key is not an error when others answer). */
  failures: { provider: ProviderName; error: string }[];
}

export function planRequest(cfg: BurstConfig, over: { gpu?: string; maxPrice?: number } = {}): PlanRequest {
  return { gpuType: over.gpu ?? cfg.gpuType, gpuCount: cfg.gpuCount, maxPricePerHour: over.maxPrice ?? cfg.maxPricePerHour, diskGb: cfg.diskGb, spot: cfg.spot };
}

/** Asks every provider for offers that fit; cheapest first across providers. */
export async function searchOffers(providers: BurstProvider[], req: PlanRequest, signal?: AbortSignal): Promise<OfferSearch> {
  const failures: OfferSearch['failures'] = [];
  const lists = await Promise.all(
    providers.map(async (p) => {
      // An instance LUNA could not reach would bill for nothing: such a provider offers nothing until fixed.
      const access = p.access();
      if (!access.ok) {
        failures.push({ provider: p.name, error: access.how });
        return [];
      }
      try {
        return await p.listOffers(req, signal);
      } catch (err) {
        // One provider down must not hide the others; but a lone bad key is the user's answer.
        if (providers.length === 1 && err instanceof AuthError) throw err;
        failures.push({ provider: p.name, error: err instanceof LunaError ? err.message : String(err) });
        return [];
      }
    }),
  );
  const offers = lists.flat().sort((a, b) => a.pricePerHour - b.pricePerHour || a.provider.localeCompare(b.provider));
  return { offers, failures };
}

export function describeOffer(o: Offer): string {
  return `${o.provider} ${o.gpuType}${o.gpuCount > 1 ? ` ×${o.gpuCount}` : ''}${o.region ? ` in ${o.region}` : ''} at $${o.pricePerHour.toFixed(3)}/h${o.interruptible ? ' (spot: may be interrupted)' : ''}`;
}
