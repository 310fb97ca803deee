import type { ClientMessage, MessageOf, ServerMessage } from '@videoapp/protocol';
import type { Addressee } from '../bus/signal-bus.ts';

/** The messages by which people agree end-to-end keys for media through the SFU. */
export type E2eeRequest = MessageOf<ClientMessage, 'e2ee-key' | 'e2ee-media-key'>;

/**
 * Who receives an end-to-end key message and what they receive. The server
 * only carries these: public keys and wrapped media keys are useless to it,
 * and a key it swapped would change the verification code people compare.
 * A public key without `to` goes to everyone else in the room; everything
 * else to one member.
 */
export function e2eeDelivery(fromId: string, request: E2eeRequest): { addressee: Addressee; message: ServerMessage } {
  switch (request.type) {
    case 'e2ee-key':
      return {
        addressee: request.to === undefined ? { allBut: fromId } : { to: request.to },
        message: { type: 'e2ee-key', from: fromId, ...(request.publicKey === undefined ? {} : { publicKey: request.publicKey }) },
      };
    case 'e2ee-media-key':
      return { addressee: { to: request.to }, message: { type: 'e2ee-media-key', from: fromId, keyId: request.keyId, wrapped: request.wrapped } };
  }
}
