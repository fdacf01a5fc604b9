import Sodium

extension AuthRules {
    /// 5.4.1: an invite that redeems an `m.room.third_party_invite` (the identity server signed
    /// `third_party_invite.signed` with a key the inviting event published).
    static func checkThirdPartyInvite(_ event: PDU, invite: JSONValue, target: String, version: RoomVersion,
                                      state: AuthState) throws(AuthFailure) {
        // 5.4.1.1
        guard state.membership(of: target) != "ban" else { throw AuthFailure("\(target) is banned and cannot be invited") }
        // 5.4.1.2–5.4.1.3
        guard let signed = invite["signed"]?.objectValue else { throw AuthFailure("content.third_party_invite has no signed object") }
        guard let mxid = signed["mxid"]?.stringValue, let token = signed["token"]?.stringValue else {
            throw AuthFailure("content.third_party_invite.signed lacks mxid or token")
        }
        // 5.4.1.4
        guard mxid == target else { throw AuthFailure("third_party_invite.signed.mxid \(mxid) is not the state_key \(target)") }
        // 5.4.1.5
        guard let published = state[StateKey("m.room.third_party_invite", token)] else {
            throw AuthFailure("there is no m.room.third_party_invite with state_key \(token)")
        }
        // 5.4.1.6
        guard published.sender == event.sender else {
            throw AuthFailure("the m.room.third_party_invite \(token) was sent by \(published.sender), not \(event.sender)")
        }
        // 5.4.1.7–5.4.1.8: any signature in `signed` verifies with any published public key.
        let keys = publicKeys(of: published)
        guard !keys.isEmpty else {
            throw AuthFailure("cannot verify third_party_invite.signed: the m.room.third_party_invite \(token) has no usable ed25519 public key")
        }
        var signatures: [(server: String, keyID: String)] = []
        for (server, byKey) in signed["signatures"]?.objectValue ?? JSONObject() {
            for keyID in byKey.objectValue?.keys ?? [] where keyID.hasPrefix("ed25519:") {
                signatures.append((server, keyID))
            }
        }
        guard !signatures.isEmpty else {
            throw AuthFailure("cannot verify third_party_invite.signed: it carries no ed25519 signature")
        }
        for (server, keyID) in signatures {
            for key in keys {
                do throws(SignatureError) {
                    try JSONSigning.verify(signed, entity: server, keyID: keyID, publicKey: key,
                                           lenientNumbers: !version.strictCanonicalJSON)
                    return
                } catch {
                    continue
                }
            }
        }
        throw AuthFailure("no signature in third_party_invite.signed verifies with the \(keys.count) public key(s) of the m.room.third_party_invite \(token)")
    }

    /// The keys an `m.room.third_party_invite` publishes: `public_key` and each
    /// `public_keys[].public_key` (base64, standard or URL-safe); only 32-byte keys can verify.
    static func publicKeys(of invite: PDU) -> [[UInt8]] {
        var encoded: [String] = []
        if let key = invite.content["public_key"]?.stringValue { encoded.append(key) }
        for entry in invite.content["public_keys"]?.arrayValue ?? [] {
            if let key = entry["public_key"]?.stringValue { encoded.append(key) }
        }
        return encoded.compactMap { Base64.decode($0) }.filter { $0.count == 32 }
    }
}
