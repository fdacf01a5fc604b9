import MatrixProtocol
import Sodium

/// User-interactive authentication (spec "User-Interactive Authentication API"): sessions that
/// collect completed stages until one of an operation's flows is done. Sessions live in memory;
/// after a restart a client simply starts a new one.
public actor UserInteractiveAuth {
    public enum Stage: String, Sendable {
        case dummy = "m.login.dummy"
        case password = "m.login.password"
        case registrationToken = "m.login.registration_token"
    }

    /// What the completed stages proved, for the operation to use.
    public struct Outcome: Sendable {
        public var registrationToken: String?
    }

    /// Checks one stage's `auth` dictionary; throws the error to report (e.g. a wrong password).
    public typealias StageValidator = @Sendable (Stage, JSONObject) async throws(MatrixError) -> Void

    struct Session {
        let operation: String
        let created: Int64
        var completed: [Stage] = []
        var outcome = Outcome()
    }

    static let lifetime: Int64 = 30 * 60 * 1000

    private var sessions: [String: Session] = [:]
    private let clock: Clock

    public init(clock: Clock) { self.clock = clock }

    /// Returns once the stages completed in `auth`'s session (including the one submitted now)
    /// satisfy one of `flows`. Otherwise throws 401 with the flows, the session and what is done,
    /// plus the stage's error when a submitted stage failed.
    public func authenticate(auth: JSONObject?, flows: [[Stage]], operation: String,
                             validate: StageValidator) async throws(MatrixError) -> Outcome {
        let now = clock.nowMillis()
        sessions = sessions.filter { now - $0.value.created < Self.lifetime }
        var sessionID = auth?["session"]?.stringValue
        if let id = sessionID {
            guard let session = sessions[id] else {
                throw MatrixError("M_INVALID_PARAM", "Unknown or expired authentication session", status: 400)
            }
            guard session.operation == operation else {
                throw MatrixError.forbidden("The authentication session was started for another operation")
            }
        }
        // A client may submit a stage without a session on its first request (nio does this).
        guard let auth, let typeName = auth["type"]?.stringValue else {
            let id = sessionID ?? newSession(operation: operation, now: now)
            throw challenge(flows: flows, sessionID: id, error: nil)
        }
        let id = sessionID ?? newSession(operation: operation, now: now)
        sessionID = id
        guard let stage = Stage(rawValue: typeName), flows.contains(where: { $0.contains(stage) }) else {
            throw challenge(flows: flows, sessionID: id,
                            error: MatrixError("M_UNRECOGNIZED", "Unsupported authentication type '\(typeName)'", status: 400))
        }
        do {
            try await validate(stage, auth)
        } catch {
            throw challenge(flows: flows, sessionID: id, error: error)
        }
        guard var session = sessions[id] else { throw challenge(flows: flows, sessionID: newSession(operation: operation, now: now), error: nil) }
        if !session.completed.contains(stage) { session.completed.append(stage) }
        if stage == .registrationToken { session.outcome.registrationToken = auth["token"]?.stringValue }
        if flows.contains(where: { flow in flow.allSatisfy(session.completed.contains) }) {
            sessions[id] = nil
            return session.outcome
        }
        sessions[id] = session
        throw challenge(flows: flows, sessionID: id, error: nil)
    }

    /// Starts a session and returns the 401 challenge for it (for endpoints that must always
    /// challenge first).
    public func challenge(flows: [[Stage]], operation: String) -> MatrixError {
        challenge(flows: flows, sessionID: newSession(operation: operation, now: clock.nowMillis()), error: nil)
    }

    private func newSession(operation: String, now: Int64) -> String {
        let id = SecureRandom.alphanumeric(24)
        sessions[id] = Session(operation: operation, created: now)
        return id
    }

    private func challenge(flows: [[Stage]], sessionID: String, error: MatrixError?) -> MatrixError {
        var body: JSONObject = [
            "flows": .array(flows.map { ["stages": JSONValue($0.map(\.rawValue))] }),
            "params": .object(JSONObject()),
            "session": .string(sessionID),
        ]
        if let done = sessions[sessionID]?.completed, !done.isEmpty {
            body["completed"] = JSONValue(done.map(\.rawValue))
        }
        if let error {
            return MatrixError(error.errcode, error.message, status: 401, extra: body)
        }
        // A bare challenge carries no errcode (as in the spec's examples); clients key on `flows`.
        return MatrixError("", "Authentication required", status: 401, extra: body)
    }
}
