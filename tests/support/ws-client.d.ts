import { type ClientMessage, type MessageOf, type ServerMessage } from '@videoapp/protocol';
import WebSocket from 'ws';
/**
 * A raw protocol client over a real WebSocket, for integration tests: it sends
 * whatever it is told (valid or not) and lets a test await specific replies.
 */
export declare class WsTestClient {
    readonly ws: WebSocket;
    private readonly inbox;
    private waiters;
    closed: {
        code: number;
        reason: string;
    } | undefined;
    private constructor();
    static open(serverUrl: string, headers?: Record<string, string>): Promise<WsTestClient>;
    /** Opens a socket and completes the hello/welcome exchange. */
    static greeted(serverUrl: string): Promise<WsTestClient>;
    send(msg: ClientMessage | Record<string, unknown>): void;
    sendRaw(data: string | Buffer): void;
    /** The next message of `type` (earlier messages of other types are kept), or a rejection after `timeoutMs`. */
    next<T extends ServerMessage['type']>(type: T, timeoutMs?: number): Promise<MessageOf<ServerMessage, T>>;
    /** Messages received and not yet taken. */
    pending(): ServerMessage[];
    waitClosed(timeoutMs?: number): Promise<{
        code: number;
        reason: string;
    }>;
    close(): void;
    private wake;
}
export declare function createRoom(serverUrl: string): Promise<string>;
/** Two greeted clients in a fresh room, each knowing the other's id. */
export declare function pairInRoom(serverUrl: string): Promise<{
    roomId: string;
    a: WsTestClient;
    b: WsTestClient;
    aId: string;
    bId: string;
    aJoined: {
        type: "joined";
        roomId: string;
        selfId: string;
        peers: {
            name: string;
            id: string;
        }[];
        resumeToken: string;
        iceServers: {
            urls: string[];
            username?: string | undefined;
            credential?: string | undefined;
        }[];
    };
    bJoined: {
        type: "joined";
        roomId: string;
        selfId: string;
        peers: {
            name: string;
            id: string;
        }[];
        resumeToken: string;
        iceServers: {
            urls: string[];
            username?: string | undefined;
            credential?: string | undefined;
        }[];
    };
}>;
