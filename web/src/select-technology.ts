// The seed's technology table and selection guide ("Understanding Real-time Communication"),
// unchanged: same names, same rules, same return strings.

export interface RealtimeTechnology {
  name: string;
  bidirectional: boolean;
  overhead: 'low' | 'medium' | 'high';
  browserSupport: 'excellent' | 'good' | 'limited';
  useCases: string[];
}

export type RealtimeTechnologyName =
  | 'WebSockets'
  | 'Server-Sent Events'
  | 'Polling'
  | 'Long Polling';

export interface RealtimeRequirements {
  bidirectional: boolean;
  frequency: 'low' | 'medium' | 'high';
  reliability: 'basic' | 'high';
  scalability: 'basic' | 'high';
}

const freeze = (t: RealtimeTechnology): RealtimeTechnology =>
  Object.freeze({ ...t, useCases: Object.freeze(t.useCases) as string[] });

export const technologies: readonly RealtimeTechnology[] = Object.freeze([
  freeze({
    name: 'WebSockets',
    bidirectional: true,
    overhead: 'low',
    browserSupport: 'excellent',
    useCases: ['Chat', 'Gaming', 'Collaborative editing', 'Live updates'],
  }),
  freeze({
    name: 'Server-Sent Events',
    bidirectional: false,
    overhead: 'low',
    browserSupport: 'good',
    useCases: ['Live feeds', 'Notifications', 'Stock prices', 'Real-time dashboards'],
  }),
  freeze({
    name: 'Polling',
    bidirectional: false,
    overhead: 'high',
    browserSupport: 'excellent',
    useCases: ['Simple updates', 'Legacy systems', 'Fallback option'],
  }),
  freeze({
    name: 'Long Polling',
    bidirectional: false,
    overhead: 'medium',
    browserSupport: 'excellent',
    useCases: ['Chat systems', 'Real-time updates', 'SSE alternative'],
  }),
]);

/** The seed's selection guide, rule for rule. */
export const selectRealtimeTechnology = (
  requirements: RealtimeRequirements,
): RealtimeTechnologyName => {
  if (requirements.bidirectional && requirements.frequency === 'high') {
    return 'WebSockets';
  }
  if (!requirements.bidirectional && requirements.frequency === 'medium') {
    return 'Server-Sent Events';
  }
  if (requirements.frequency === 'low') {
    return 'Polling';
  }
  return 'WebSockets'; // Default for complex scenarios
};
