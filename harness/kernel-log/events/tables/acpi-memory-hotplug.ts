import type { EventPatternTable } from '../event-pattern.ts';

/** ACPI memory devices (PNP0C80), the path of a pc-dimm hot-add. Success prints nothing. */
export const acpiMemoryHotplugTable: EventPatternTable = {
  source: 'drivers/acpi/acpi_memory_hotplug.c',
  patterns: [
    {
      // acpi_handle_err() prefixes "ACPI: <namespace path>: ".
      format: 'ACPI: %s: add_memory failed',
      seenIn: ['6.1', '6.12'],
      fields: ['device'],
      build: (f) => ({ type: 'acpi-memory-hotplug-error', error: 'add-memory-failed', device: f['device'] ?? '' }),
    },
    {
      // dev_err() prefixes "<driver> <device>: ".
      format: '%s: acpi_memory_enable_device() error',
      seenIn: ['6.1', '6.12'],
      fields: ['device'],
      build: (f) => ({ type: 'acpi-memory-hotplug-error', error: 'enable-device-failed', device: f['device'] ?? '' }),
    },
  ],
};
