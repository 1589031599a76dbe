/// A multipart ZeroMQ message: its frames in order, each a byte array.
///
/// Frames are copied on receive and on send. Majordomo frames are small, so the copies cost less than the
/// bookkeeping zero-copy would need.
public typealias Multipart = [[UInt8]]
