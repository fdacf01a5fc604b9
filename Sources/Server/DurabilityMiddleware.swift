import APICore
import Hummingbird
import Store

/// Holds every answer until the commits its handler could have read are on disk: with
/// `synchronous = full` a commit is readable while its WAL sync is still under way
/// (`DurabilityGate`), and no client may see what a power loss could still take back.
/// Costs one lock when nothing is being synced.
struct DurabilityMiddleware: RouterMiddleware {
    let gate: DurabilityGate

    func handle(_ request: Request, context: ApusRequestContext,
                next: (Request, ApusRequestContext) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            await gate.wait()
            return response
        } catch {
            await gate.wait()  // an error can tell what was read, too
            throw error
        }
    }
}
