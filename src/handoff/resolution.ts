/** How an agent closes a conversation: the tags the console and the Slack desk offer, and the dashboard counts. */
export const RESOLUTION_TAGS = ['solved', 'workaround', 'escalated', 'no-response', 'out-of-scope'] as const;
export type ResolutionTag = (typeof RESOLUTION_TAGS)[number];
