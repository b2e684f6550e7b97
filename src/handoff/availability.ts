/** Agents' availability for a customer: the business hours of their country (or the default), or always open when none are set. */
import type { Country } from '../certs/report.ts';
import type { Availability } from '../chat/service.ts';
import { agentsAvailable, type BusinessHours } from './hours.ts';

export function availabilityOf(hours: { default?: BusinessHours } & Partial<Record<Country, BusinessHours>>): Availability {
  return (country, now) => {
    const h = (country ? hours[country] : undefined) ?? hours.default;
    if (!h) return { open: true };
    const a = agentsAvailable(h, now);
    return a.open ? { open: true } : { open: false, timeZone: h.timeZone, ...(a.reopensAt !== undefined ? { reopensAt: a.reopensAt } : {}) };
  };
}
