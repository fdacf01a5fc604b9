import Hummingbird
import MatrixProtocol

extension Request {
    /// Reads the body as a JSON object, enforcing the context's size limit. An empty body is `{}`,
    /// as several endpoints allow.
    public func jsonObject(context: ApusRequestContext) async throws -> JSONObject {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw MatrixError.tooLarge("Request body is larger than \(context.maxUploadSize) bytes")
        }
        if buffer.readableBytes == 0 { return JSONObject() }
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer.readableBytesView)
        } catch {
            throw MatrixError.notJSON("Content not JSON: \(error)")
        }
        guard case .object(let object) = value else { throw MatrixError.badJSON("Request body must be a JSON object") }
        return object
    }
}

extension Response {
    /// A JSON response with the compact encoding (object keys sorted).
    public static func json(_ object: JSONObject, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let bytes = object.encodedBytes()
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(bytes.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The error body of a `MatrixError`, with its status.
    public static func matrixError(_ error: MatrixError, headers: HTTPFields = [:]) -> Response {
        json(error.body, status: HTTPResponse.Status(code: error.status), headers: headers)
    }
}

extension Response {
    /// A JSON array response (a few endpoints, like `GET /rooms/{id}/state`, answer with one).
    public static func jsonArray(_ items: [JSONValue], status: HTTPResponse.Status = .ok) -> Response {
        let bytes = JSONValue.array(items).encodedBytes()
        return Response(status: status, headers: [.contentType: "application/json", .contentLength: String(bytes.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
