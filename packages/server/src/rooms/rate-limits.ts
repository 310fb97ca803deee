import { PerMinuteLimit } from '../rate-limit.ts';

/** The allowances counted per minute; shared by every process when Redis is configured, so N processes do not allow N times the guesses. */
export type LimitName = 'join' | 'create-room' | 'passcode-by-address' | 'passcode-by-room' | 'knock';

export type LimitsPerMinute = Record<LimitName, number>;

export interface RateLimits {
  /** Takes one from `key`'s allowance under `limit` in the current minute; false once it is spent. */
  take(limit: LimitName, key: string): Promise<boolean>;
}

/** Allowances counted in this process's memory. */
export class MemoryRateLimits implements RateLimits {
  private readonly limits: Record<LimitName, PerMinuteLimit>;

  constructor(perMinute: LimitsPerMinute) {
    this.limits = {
      join: new PerMinuteLimit(perMinute.join),
      'create-room': new PerMinuteLimit(perMinute['create-room']),
      'passcode-by-address': new PerMinuteLimit(perMinute['passcode-by-address']),
      'passcode-by-room': new PerMinuteLimit(perMinute['passcode-by-room']),
      knock: new PerMinuteLimit(perMinute.knock),
    };
  }

  async take(limit: LimitName, key: string): Promise<boolean> {
    return this.limits[limit].take(key);
  }
}
