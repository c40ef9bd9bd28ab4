import Testing
@testable import KesuPostgres
