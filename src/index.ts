// The package entry (`import { createWalletd } from 'walletd'`): for programs that embed walletd
// (a webview host, a test harness) and bring their own approver. Every export is named here.

export type { ApprovalBroker, ApprovalInput, BrokerEvent } from './approval/createApprovalBroker.js'
export { createTerminalApprover, type TerminalApproverOptions } from './approval/createTerminalApprover.js'
export { createNotificationApprover } from './approval/notification/createNotificationApprover.js'
export { createNotificationBackend } from './approval/notification/createNotificationBackend.js'
export { renderApprovalRequest } from './approval/renderApprovalRequest.js'
export type {
  AnswerRule,
  ApprovalDecision,
  ApprovalFacts,
  ApprovalKind,
  ApprovalRequest,
  ApprovalWarning,
  Approver,
  Decided,
  DecisionReason,
  DecodedCallFacts,
} from './approval/types.js'
export type { AuditEvent, AuditSink } from './audit/types.js'
export { verifyAuditLog } from './audit/verifyAuditLog.js'
export { type DeepPartial, type LoadConfigOptions, loadConfig } from './config/loadConfig.js'
export type { Config } from './config/schema.js'
export { createWalletd, type Walletd, type WalletdOptions } from './createWalletd.js'
export { RpcError, UserRejectedRequestError } from './errors/rpc.js'
export { StartupError } from './errors/startup.js'
export { VERSION } from './version.js'
