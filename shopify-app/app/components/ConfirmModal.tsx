/**
 * Nothing destructive happens without this: a modal that says what will happen (and what is
 * kept), with the destructive action named on its button.
 */
import type { ReactNode } from "react";
import { BlockStack, Modal } from "@shopify/polaris";

export interface ConfirmModalProps {
  open: boolean;
  title: string;
  /** The button's words, e.g. "Disconnect store". */
  confirm: string;
  destructive?: boolean;
  loading?: boolean;
  onConfirm(): void;
  onClose(): void;
  children: ReactNode;
}

export function ConfirmModal({
  open,
  title,
  confirm,
  destructive = true,
  loading = false,
  onConfirm,
  onClose,
  children,
}: ConfirmModalProps) {
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={title}
      primaryAction={{ content: confirm, destructive, loading, onAction: onConfirm }}
      secondaryActions={[{ content: "Cancel", onAction: onClose }]}
    >
      <Modal.Section>
        <BlockStack gap="200">{children}</BlockStack>
      </Modal.Section>
    </Modal>
  );
}
