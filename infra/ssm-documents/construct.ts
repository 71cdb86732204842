import { Stack } from 'aws-cdk-lib';
import { CfnDocument } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DOCUMENT_KINDS, DOCUMENTS, type DocumentKind, documentContent, documentName } from './index';

export interface ProjectDocumentsProps {
  /** The cluster's name (config `cluster.name`): documents are named `${cluster}-ConfigureNode` etc. */
  readonly cluster: string;
}

/**
 * The project's SSM Command documents (one per DOCUMENT_KINDS) in one region, named so the workflows'
 * `${…Document}` substitutions and the twin agree (`documentName`). `updateMethod: NewVersion` updates a
 * document in place as a new default version instead of replacing it, which a fixed name would otherwise
 * require.
 */
export class ProjectDocuments extends Construct {
  /** Each document's name, as SendCommand takes it. */
  readonly names: Readonly<Record<DocumentKind, string>>;
  /** Each document's ARN, for `ssm:SendCommand` policies. */
  readonly arns: Readonly<Record<DocumentKind, string>>;
  readonly documents: Readonly<Record<DocumentKind, CfnDocument>>;

  constructor(scope: Construct, id: string, props: ProjectDocumentsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = {} as Record<DocumentKind, string>;
    const arns = {} as Record<DocumentKind, string>;
    const documents = {} as Record<DocumentKind, CfnDocument>;
    for (const kind of DOCUMENT_KINDS) {
      const name = documentName(props.cluster, kind);
      documents[kind] = new CfnDocument(this, DOCUMENTS[kind].suffix, {
        name,
        documentType: 'Command',
        documentFormat: 'JSON',
        updateMethod: 'NewVersion',
        content: documentContent(kind, props.cluster),
      });
      names[kind] = name;
      // arn:${Partition}:ssm:${Region}:${Account}:document/${name}
      arns[kind] = stack.formatArn({ service: 'ssm', resource: 'document', resourceName: name });
    }
    this.names = names;
    this.arns = arns;
    this.documents = documents;
  }
}
