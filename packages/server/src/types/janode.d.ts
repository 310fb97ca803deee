// Types for the part of Meetecho's janode (1.8, plain JavaScript) that janus.ts
// uses, written from its source. Only what we call is declared; the shapes of
// events are as janode hands them over (its names, not Janus's).

declare module 'janode' {
  import type { EventEmitter } from 'node:events';

  export interface JanodeConfig {
    address: { url: string; apisecret?: string };
    /** Seconds between connection attempts, and attempts beyond the first. */
    retry_time_secs?: number;
    max_retries?: number;
  }

  export interface Connection extends EventEmitter {
    /** A Janus session, kept alive by a keepalive every `keepaliveSeconds` (janode's default: 30). */
    create(keepaliveSeconds?: number): Promise<Session>;
    close(): Promise<void>;
  }

  export interface Session extends EventEmitter {
    readonly id: number;
    attach<H>(plugin: { id: string; Handle: unknown; EVENT: Record<string, string> }): Promise<H>;
    destroy(): Promise<void>;
  }

  export interface Candidate {
    candidate?: string;
    sdpMid?: string | null;
    sdpMLineIndex?: number | null;
    completed?: true;
  }

  export interface Handle extends EventEmitter {
    readonly id: number;
    trickle(candidate: Candidate | null): Promise<unknown>;
    hangup(): Promise<unknown>;
    detach(): Promise<void>;
  }

  const Janode: {
    connect(config: JanodeConfig): Promise<Connection>;
    Logger: { setLevel(level: 'debug' | 'verb' | 'info' | 'warn' | 'error' | 'none'): string };
    EVENT: {
      CONNECTION_CLOSED: 'connection_closed';
      CONNECTION_ERROR: 'connection_error';
      SESSION_DESTROYED: 'session_destroyed';
      HANDLE_DETACHED: 'handle_detached';
      HANDLE_HANGUP: 'handle_hangup';
      HANDLE_WEBRTCUP: 'handle_webrtcup';
    };
  };
  export default Janode;
}

declare module 'janode/plugins/videoroom' {
  import type { Handle } from 'janode';

  export interface Jsep {
    type: 'offer' | 'answer';
    sdp: string;
  }

  /** A stream as Janus's multistream VideoRoom describes it. */
  export interface JanusStream {
    type: 'audio' | 'video' | 'data';
    mid: string;
    codec?: string;
    simulcast?: boolean;
    disabled?: boolean;
  }

  /** One m-line of a subscriber's connection, as Janus describes it. */
  export interface SubscribedStream {
    mid: string;
    type: 'audio' | 'video' | 'data';
    active?: boolean;
    feed_id?: number;
    feed_mid?: string;
  }

  export interface PublisherInfo {
    feed: number;
    display?: string;
    streams?: JanusStream[];
  }

  export interface VideoRoomHandle extends Handle {
    create(params: {
      room?: number;
      description?: string;
      max_publishers?: number;
      permanent?: boolean;
      is_private?: boolean;
      secret?: string;
      admin_key?: string;
      bitrate?: number;
      fir_freq?: number;
      audiocodec?: string;
      videocodec?: string;
      talking_events?: boolean;
      notify_joining?: boolean;
    }): Promise<{ room: number; permanent: boolean }>;
    destroy(params: { room: number; secret?: string; permanent?: boolean }): Promise<{ room: number }>;
    /** Rooms in Janus; private ones only with the admin key (used by the tests to see what Janus holds). */
    list(params: { admin_key?: string }): Promise<{ list: { room: number; description: string; num_participants: number }[] }>;
    /** Who joined the room as a publisher (publishing or not); needs the room's secret. */
    listParticipants(params: { room: number; secret?: string }): Promise<{ room: number; participants: { id: number; display?: string; publisher: boolean }[] }>;
    joinPublisher(params: { room: number; display?: string }): Promise<{ room: number; feed: number; publishers: PublisherInfo[] }>;
    joinConfigurePublisher(params: { room: number; display?: string; jsep: Jsep }): Promise<{ room: number; feed: number; publishers: PublisherInfo[]; jsep?: Jsep }>;
    joinSubscriber(params: { room: number; streams: { feed: number; mid?: string }[]; autoupdate?: boolean; use_msid?: boolean }): Promise<{ room: number; streams?: SubscribedStream[]; jsep?: Jsep }>;
    start(params: { jsep: Jsep }): Promise<{ started: string }>;
    /**
     * Publishers: a new offer (ICE restart, tracks changed), answered in `jsep`.
     * Subscribers: per-stream choices (`send`, simulcast `substream`), by m-line;
     * `restart` asks for an ICE restart, answered with a new offer in `jsep`.
     */
    configure(params: { jsep?: Jsep; restart?: boolean; streams?: { mid: string; send?: boolean; substream?: number }[] }): Promise<{ jsep?: Jsep }>;
    /** Subscribers: adds and removes feeds; Janus answers with a new offer (or none when nothing changed). */
    update(params: { subscribe?: { feed: number }[]; unsubscribe?: { feed: number }[] }): Promise<{ streams?: SubscribedStream[]; jsep?: Jsep }>;
    leave(): Promise<unknown>;
  }

  const VideoRoomPlugin: {
    id: string;
    Handle: unknown;
    EVENT: {
      VIDEOROOM_PUB_LIST: 'videoroom_publisher_list';
      VIDEOROOM_UNPUBLISHED: 'videoroom_unpublished';
      VIDEOROOM_LEAVING: 'videoroom_leaving';
      VIDEOROOM_DISPLAY: 'videoroom_display';
      VIDEOROOM_TALKING: 'videoroom_talking';
      VIDEOROOM_KICKED: 'videoroom_kicked';
      VIDEOROOM_DESTROYED: 'videoroom_destroyed';
      VIDEOROOM_ERROR: 'videoroom_error';
    };
  };
  export default VideoRoomPlugin;
}
