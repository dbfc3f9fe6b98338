import { InMemoryDriver } from "../../../src/storage/driver/inmemory.ts";
import { driverSuite } from "./suite.ts";

driverSuite("inmemory", async () => ({ driver: new InMemoryDriver(), cleanup: async () => {} }));
