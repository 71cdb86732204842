/**
 * SSM Run Command's invocation status-change event, which completes node-command's wait (the command
 * function). A module of its own, apart from ./events, so the command function builds only this schema.
 */
import * as z from 'zod/mini';
import { DetailTypes, eventBridgeEnvelope, nonEmpty, Sources } from './event-envelope';

/** A managed node's id as SSM writes it (SSM API Reference, `CommandInvocation.InstanceId`). */
export const ManagedNodeIdSchema = z
  .string()
  .check(z.regex(/^(i-(\w{8}|\w{17})|mi-\w{17})$/, 'Invalid managed node id'));

/**
 * One command invocation's new status (SSM User Guide, "Amazon EventBridge event examples for Systems
 * Manager", Run Command events; docs/facts.md). The status is free text: a status SSM adds later must not
 * make the event unparseable, and only the terminal ones are acted on.
 */
export const CommandInvocationStatusChangeDetailSchema = z.looseObject({
  'command-id': nonEmpty,
  'document-name': nonEmpty,
  'instance-id': ManagedNodeIdSchema,
  status: nonEmpty,
});

export const CommandInvocationStatusChangeEventSchema = eventBridgeEnvelope(
  DetailTypes.commandInvocationStatusChange,
  Sources.ssm,
  CommandInvocationStatusChangeDetailSchema,
);

export type CommandInvocationStatusChangeEvent = z.infer<typeof CommandInvocationStatusChangeEventSchema>;
