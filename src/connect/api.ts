/** The Kafka Connect REST API's response shapes, checked at the boundary. */
import { z } from 'zod';

export const ServerInfo = z.object({
  version: z.string(),
  commit: z.string().optional(),
  kafka_cluster_id: z.string().optional(),
});
export type ServerInfo = z.infer<typeof ServerInfo>;

export const PluginInfo = z.object({ class: z.string(), type: z.string(), version: z.string().optional() });
export type PluginInfo = z.infer<typeof PluginInfo>;
export const PluginList = z.array(PluginInfo);

export const ConnectorConfigMap = z.record(z.string(), z.string());

const State = z.string();

export const TaskStatus = z.object({
  id: z.number(),
  state: State,
  worker_id: z.string(),
  trace: z.string().optional(),
  version: z.string().optional(),
});
export type TaskStatus = z.infer<typeof TaskStatus>;

export const ConnectorStatus = z.object({
  name: z.string(),
  connector: z.object({
    state: State,
    worker_id: z.string(),
    trace: z.string().optional(),
    version: z.string().optional(),
  }),
  tasks: z.array(TaskStatus),
  type: z.string().optional(),
});
export type ConnectorStatus = z.infer<typeof ConnectorStatus>;

export const ConfigValue = z.object({
  name: z.string(),
  value: z.string().nullable().optional(),
  errors: z.array(z.string()),
  recommended_values: z.array(z.unknown()).optional(),
  visible: z.boolean().optional(),
});

export const ValidateResponse = z.object({
  name: z.string(),
  error_count: z.number(),
  groups: z.array(z.string()),
  configs: z.array(
    z.object({
      definition: z.object({ name: z.string(), type: z.string().optional(), required: z.boolean().optional() }).optional(),
      value: ConfigValue,
    }),
  ),
});
export type ValidateResponse = z.infer<typeof ValidateResponse>;

export const Offsets = z.object({
  offsets: z.array(
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
    status: ConnectorStatus.optional(),
    info: z.object({ name: z.string(), config: ConnectorConfigMap, type: z.string().optional() }).optional(),
  }),
);

export const ErrorBody = z.object({ error_code: z.number().optional(), message: z.string().optional() });
