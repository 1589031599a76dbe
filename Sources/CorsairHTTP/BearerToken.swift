public import Corsair
import Crypto
import Foundation
import Hummingbird
import HummingbirdAuth

/// The HTTP API's shared secret (`--http-token-file FILE`): every route but `/healthz` then wants
/// `Authorization: Bearer TOKEN`.
///
/// Only the token's SHA-256 is kept, and a presented token is hashed and compared to it with swift-crypto's
/// digest equality, which runs in constant time: neither the comparison's duration nor its early exit tells an
/// attacker how much of a guess was right, and hashing first hides the token's length too.
public struct BearerToken: Sendable {
    private let digest: SHA256.Digest

    /// Uses `token`, which must not be empty.
    public init?(_ token: String) {
        guard !token.isEmpty else { return nil }
        digest = SHA256.hash(data: Array(token.utf8))
    }

    /// Reads the token from `path`: its first line, surrounding whitespace removed.
    ///
    /// - Throws: ``Corsair/KeyFileError`` naming the file when it is unreadable or holds no token.
    public static func load(from path: String) throws(KeyFileError) -> BearerToken {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError(path: path, "cannot read the token file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard let token = BearerToken(line.trimmingCharacters(in: .whitespaces)) else {
            throw KeyFileError(path: path, "the token file is empty")
        }
        return token
    }

    /// Whether `presented` is the token; constant time in the token's content.
    func matches(_ presented: String) -> Bool {
        SHA256.hash(data: Array(presented.utf8)) == digest
    }
}

/// Answers 401 with a JSON body to any request but `GET /healthz` that lacks the gateway's bearer token.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.uri.path == "/healthz" {
            return try await next(request, context)
        }
        // HummingbirdAuth's `bearer` reads the `Authorization: Bearer …` header.
        guard let presented = request.headers.bearer?.token, token.matches(presented) else {
            var response = GatewayError(.unauthorized, "missing or wrong bearer token", field: "Authorization")
                .response
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}
