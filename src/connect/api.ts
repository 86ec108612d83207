/**
 * The Kafka Connect REST API's response shapes, checked at the boundary.
 *
 * Lenient where Connect is: Jackson writes absent values as null (4.1 answers
 * `"version": null` while a connector restarts), older workers leave fields out, and
 * newer ones may add states. Required is only what the kit cannot do without.
 */
import { z } from 'zod';

/** A string Connect may send as null or leave out; both read as absent. */
const maybeString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined)
  .optional();

/** A list Connect may send as null or leave out; both read as empty. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v): z.infer<T>[] => v ?? []);

export const ServerInfo = z.object({
  version: z.string(),
  commit: maybeString,
  kafka_cluster_id: maybeString,
});
export type ServerInfo = z.infer<typeof ServerInfo>;

export const PluginInfo = z.object({ class: z.string(), type: z.string(), version: maybeString });
export type PluginInfo = z.infer<typeof PluginInfo>;
export const PluginList = z.array(PluginInfo);

export const ConnectorConfigMap = z.record(z.string(), z.string());

/**
 * Connect 4.1 shows UNASSIGNED, RUNNING, PAUSED, FAILED, RESTARTING and STOPPED. Any
 * string is kept as it came: every verdict (waits, health) compares with the states it
 * needs, so one a newer worker adds counts as neither running nor failed.
 */
const State = z.string();

const StateFields = {
  state: State,
  worker_id: maybeString,
  trace: maybeString,
  version: maybeString,
};

export const TaskStatus = z.object({ id: z.number(), ...StateFields });
export type TaskStatus = z.infer<typeof TaskStatus>;

export const ConnectorStatus = z.object({
  name: z.string(),
  connector: z.object(StateFields),
  tasks: listOf(TaskStatus),
  type: maybeString,
});
export type ConnectorStatus = z.infer<typeof ConnectorStatus>;

export const ConfigValue = z.object({
  name: z.string(),
  value: z.string().nullable().optional(),
  errors: listOf(z.string()),
  recommended_values: z.array(z.unknown()).optional(),
  visible: z.boolean().optional(),
});

export const ValidateResponse = z.object({
  name: z.string(),
  error_count: z.number(),
  groups: listOf(z.string()),
  configs: listOf(
    z.object({
      definition: z.object({ name: z.string(), type: maybeString, required: z.boolean().nullish() }).nullish(),
      value: ConfigValue,
    }),
  ),
});
export type ValidateResponse = z.infer<typeof ValidateResponse>;

export const Offsets = z.object({
  offsets: listOf(
    z.object({
      partition: z.record(z.string(), z.unknown()),
      offset: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});
export type Offsets = z.infer<typeof Offsets>;

export const ExpandedConnectors = z.record(
  z.string(),
  z.object({
    status: ConnectorStatus.nullish(),
    info: z.object({ name: z.string(), config: ConnectorConfigMap, type: maybeString }).nullish(),
  }),
);

export const ErrorBody = z.object({ error_code: z.number().nullish(), message: maybeString });

/** What `DELETE /connectors/{name}/offsets` answers. */
export const MessageBody = z.object({ message: maybeString });
