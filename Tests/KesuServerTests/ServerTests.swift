import Testing
import HummingbirdTesting
@testable import KesuServer
